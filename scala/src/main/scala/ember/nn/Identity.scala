package ember.nn

import ember.tensor.Activity

/** Passes its input through unchanged (output and gradInput are the very same objects). */
class Identity() extends Module {
  override def updateOutput(input: Activity): Activity = { output = input; output }
  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = { gradInput = gradOutput; gradInput }
}
